from studykit.ui.pages import topic_page

topic_page("cnn")
