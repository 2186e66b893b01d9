import Synchronization

/// Request ids (`ordp-request-id`): the gateway gives every call one, services log and echo
/// it.
public enum RequestID {
  /// SplitMix64's state: a random start, then one step per id — every id of a process differs
  /// (the mixing is a bijection), without a system call per call.
  private static let state = Atomic<UInt64>(SystemRandomNumberGenerator().next2())

  /// `given` when it is a sane one (1–64 characters of letters, digits, '-', '_' and '.'),
  /// else a fresh one (16 hex digits, random-looking and unique in this process).
  public static func sanitized(_ given: String?) -> String {
    if let given, (1...64).contains(given.utf8.count),
      given.utf8.allSatisfy({ byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
          || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
      })
    {
      return given
    }
    var z = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    let digits = Array("0123456789abcdef".utf8)
    return String(unsafeUninitializedCapacity: 16) { buffer in
      for i in 0..<16 { buffer[i] = digits[Int((z >> UInt64(60 - 4 * i)) & 0xF)] }
      return 16
    }
  }
}

extension SystemRandomNumberGenerator {
  /// One random number from a fresh generator (for a static's initial value).
  fileprivate func next2() -> UInt64 {
    var generator = self
    return generator.next()
  }
}
