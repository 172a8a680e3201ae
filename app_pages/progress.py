from studykit.ui.progress_page import progress_page

progress_page()
