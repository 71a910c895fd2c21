"""Training the WDBC classifier: ``python -m training train --target local`` writes the artifact."""
