"""Training: techs sign off the SOP versions they have read, trainers record what they saw
them do, and the office reads who knows which procedure (the training matrix)."""
