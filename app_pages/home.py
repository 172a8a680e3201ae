from studykit.ui import home_page

home_page()
