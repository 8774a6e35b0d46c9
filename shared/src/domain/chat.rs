//! Conversations and messages: Message, MessageKind, conversation ids.
