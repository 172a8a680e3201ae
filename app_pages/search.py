from studykit.ui import search_page

search_page()
