from studykit.ui import progress_page

progress_page()
