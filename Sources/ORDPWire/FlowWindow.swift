/// Flow-control accounting for one direction of one stream (WIRE.md section 5).
///
/// The sender may send while the window is positive; a message then takes its full length even
/// if that drives the window negative. Credits come from WINDOW_UPDATE.
public struct FlowWindow: Sendable, Hashable {
  /// The largest window; an update beyond it is a flow-control error.
  public static let maximum: Int64 = Int64(Int32.max)

  public private(set) var available: Int64

  public init(initial: UInt32) { self.available = Int64(initial) }

  /// Whether a message may be sent now.
  public var isOpen: Bool { available > 0 }

  /// Takes `bytes` for a message; false if the window was not open.
  public mutating func consume(_ bytes: Int) -> Bool {
    guard available > 0 else { return false }
    available -= Int64(bytes)
    return true
  }

  /// Adds `increment` credit; false if that overflows the maximum. With `cap`, credit beyond
  /// it is not used (a sender may always send less than it was granted).
  public mutating func grant(_ increment: UInt32, cap: UInt32? = nil) -> Bool {
    let next = available + Int64(increment)
    guard next <= Self.maximum else { return false }
    available = cap.map { min(next, Int64($0)) } ?? next
    return true
  }
}

/// Decides when a receiver sends WINDOW_UPDATE: once the application has consumed half of the
/// initial window, all consumed bytes are granted back in one update.
public struct WindowReplenisher: Sendable, Hashable {
  public let initialWindow: UInt32
  public private(set) var consumedSinceUpdate: UInt64 = 0

  public init(initialWindow: UInt32) { self.initialWindow = initialWindow }

  /// Records `bytes` consumed; returns the increment to send, if an update is due.
  public mutating func consumed(_ bytes: Int) -> UInt32? {
    consumedSinceUpdate += UInt64(bytes)
    guard consumedSinceUpdate >= UInt64(max(initialWindow / 2, 1)) else { return nil }
    let increment = UInt32(min(consumedSinceUpdate, UInt64(Int32.max)))
    consumedSinceUpdate -= UInt64(increment)
    return increment
  }
}
