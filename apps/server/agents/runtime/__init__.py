"""The inference runtime: a linear TF-IDF model held as plain arrays, scored with numpy/scipy.

It reimplements the few scikit-learn steps the model needs (tokenize, count, idf, l2 norm,
linear scores), so that serving loads data instead of pickled objects, scores a whole batch
in one sparse product, and may run the product on a GPU.
"""
