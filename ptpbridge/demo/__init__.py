"""`make demo`: a namespace lab with our daemon and real clients, live figures."""
