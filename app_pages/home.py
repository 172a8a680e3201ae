from studykit.ui.pages import home_page

home_page()
