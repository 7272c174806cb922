"""Photos: every uploaded image (visit, step, message, service request, signature) is decoded,
cleaned and stored here, beneath the features that use them."""
