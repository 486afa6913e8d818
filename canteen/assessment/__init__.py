"""The caterer's monthly assessment: contractors, the versioned 100-point sheet, deductions, workflow, reports."""
