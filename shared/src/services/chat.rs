//! Chat: send, recall, read, history of one conversation.
