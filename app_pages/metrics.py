from studykit.ui import topic_page

topic_page("metrics")
