"""What happens to a contact when no API call says so: flows, Lambda functions, hours."""
