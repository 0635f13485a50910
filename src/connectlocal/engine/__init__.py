"""What happens to a contact when no API call says so, on the service clock: flows, Lambda
functions, hours."""
