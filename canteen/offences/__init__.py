"""The offender ladder: offences, escalations (warning, exposure, referral), appeals, retention."""
