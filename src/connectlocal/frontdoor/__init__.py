"""What AWS's front door does before an operation runs, beyond SigV4 (protocol/auth.py):
throttling at the documented API quotas, and faults a test injects."""
