"""The Streamlit app: pages, sidebar and cached resources.

This package is the only place that imports streamlit. Pages are thin: they collect input,
call the coach, and show results; everything else lives in the plain modules of `assistant`.
"""
