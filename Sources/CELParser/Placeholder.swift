import CELCommon
