"""What the Lambda ships: validation, endpoint invocation and answer mapping for one model."""
