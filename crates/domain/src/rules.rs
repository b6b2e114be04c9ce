//! Rules in force (filled in next).
