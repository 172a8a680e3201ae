from studykit.ui import topic_page

topic_page("gradient_descent")
