"""The caterer's monthly assessment.

Contractors, the versioned 100-point sheet, deductions, the monthly workflow and the reports.
"""
