from studykit.ui.search import search_page

search_page()
