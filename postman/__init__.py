"""WDBC's Postman collection, written from its model contract: `python -m postman`."""
