//! Xuanxuan JSON views and request structs of chat.
