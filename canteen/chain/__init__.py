"""Tamper-evident history: every stream of records (a canteen's month of ledger, one assessment, one
escalation) is a hash chain of links written in the same transaction as the records themselves."""
