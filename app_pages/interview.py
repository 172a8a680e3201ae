from studykit.ui.coach import interview_page

interview_page()
