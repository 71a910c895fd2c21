"""The one run command: the Chalice app served locally in front of the SageMaker stand-in."""
