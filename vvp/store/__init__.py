"""Record stores (architecture §4.4): where records live, evidence blobs kept once by digest."""
