/// Codes carried by GOAWAY (WIRE.md section 6).
public struct GoAwayCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let noError = GoAwayCode(rawValue: 0)
  public static let protocolError = GoAwayCode(rawValue: 1)
  public static let internalError = GoAwayCode(rawValue: 2)
  public static let flowControlError = GoAwayCode(rawValue: 3)
  public static let frameTooLarge = GoAwayCode(rawValue: 4)
  public static let enhanceYourCalm = GoAwayCode(rawValue: 5)
  public static let unsupportedVersion = GoAwayCode(rawValue: 6)
  public static let idleTimeout = GoAwayCode(rawValue: 7)

  private static let names = [
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "FRAME_TOO_LARGE",
    "ENHANCE_YOUR_CALM", "UNSUPPORTED_VERSION", "IDLE_TIMEOUT",
  ]

  public var description: String {
    rawValue < 8 ? Self.names[Int(rawValue)] : "CODE(\(rawValue))"
  }
}

/// A connection error: the GOAWAY to send before closing.
public struct ConnectionError: Error, Hashable, Sendable {
  public var code: GoAwayCode
  public var message: String

  public init(_ code: GoAwayCode, _ message: String) {
    self.code = code
    self.message = message
  }
}
