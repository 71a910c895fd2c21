"""`python -m client`: score a CSV file of rows through the API, in batches."""
