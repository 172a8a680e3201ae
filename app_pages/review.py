from studykit.ui.review import review_page

review_page()
