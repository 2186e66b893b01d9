/// The form of organisation (town) ids, shared by every service: lower-case letters, digits
/// and '-', 2–64 characters, no '-' at either end (e.g. "bad-berleburg").
public enum OrganisationID {
  /// Why `id` is not an organisation id, or nil when it is one.
  public static func problem(_ id: String) -> String? {
    if id.isEmpty { return "is required" }
    guard isLowerAlphanumericOrDash(id), (2...64).contains(id.utf8.count), !id.hasPrefix("-"),
      !id.hasSuffix("-")
    else {
      return "\"\(id.prefix(80))\" is not an organisation id (a-z, 0-9 and '-', 2–64 characters)"
    }
    return nil
  }

  /// Whether `text` has only a-z, 0-9 and '-' (ids and slugs).
  public static func isLowerAlphanumericOrDash(_ text: String) -> Bool {
    text.utf8.allSatisfy {
      ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
        || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-")
    }
  }
}
