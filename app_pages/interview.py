from studykit.ui import interview_page

interview_page()
