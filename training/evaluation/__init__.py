"""Evaluation: a method ranks every item of a labelled collection against all others.

``covers80`` (the test set, never tuned on) runs through the same scoring seam as a pair
check (``model.score``); ``validation`` is the same evaluation on the training validation split.
"""
