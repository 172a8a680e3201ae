from studykit.ui import review_page

review_page()
