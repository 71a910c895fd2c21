"""What the Lambda ships: validation, endpoint invocation and answer mapping for the WDBC API."""
