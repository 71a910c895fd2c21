"""`python -m client`: score a CSV file of WDBC rows through the API, in batches."""
