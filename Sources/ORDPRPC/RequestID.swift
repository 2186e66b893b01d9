/// Request ids (`ordp-request-id`): the gateway gives every call one, services log and echo
/// it.
public enum RequestID {
  /// `given` when it is a sane one (1–64 characters of letters, digits, '-', '_' and '.'),
  /// else a fresh random one (16 hex digits).
  public static func sanitized(_ given: String?) -> String {
    if let given, (1...64).contains(given.utf8.count),
      given.utf8.allSatisfy({ byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
          || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
      })
    {
      return given
    }
    var generator = SystemRandomNumberGenerator()
    let value = generator.next() as UInt64
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
