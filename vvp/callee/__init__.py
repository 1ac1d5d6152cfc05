"""Callee verification (architecture §2.2): the called party's PASSporT, verified back."""
