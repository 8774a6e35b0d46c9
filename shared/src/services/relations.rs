//! Relations: friends, follows, blacklists and friend requests.
