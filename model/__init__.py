"""The audio -> chroma -> embedding -> alignment pipeline, free of any storage or web code."""
