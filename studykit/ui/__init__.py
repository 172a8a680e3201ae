"""The Streamlit user interface: the only studykit package that imports streamlit.

Each file in app_pages/ imports its page function from the module that defines it, so a
page imports only what it draws (the home page needs neither the charts nor the coach).
"""
