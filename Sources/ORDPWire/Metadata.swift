/// Call metadata: an ordered list of key/value pairs; keys repeat. Keys are lower-case ASCII;
/// keys ending in `-bin` carry binary values, all others text.
public struct Metadata: Sendable, Hashable, Sequence {
  /// One value: text or binary.
  public enum Value: Sendable, Hashable {
    case text(String)
    case binary([UInt8])
  }

  /// One entry.
  public struct Entry: Sendable, Hashable {
    public var key: String
    public var value: Value
  }

  public private(set) var entries: [Entry] = []

  public init() {}

  /// Metadata with these text entries, in order.
  public init(_ pairs: KeyValuePairs<String, String>) {
    self.init()
    for (k, v) in pairs { add(k, v) }
  }

  /// Appends a text entry; the key is lower-cased.
  public mutating func add(_ key: String, _ value: String) {
    entries.append(Entry(key: key.lowercased(), value: .text(value)))
  }

  /// Appends a binary entry; the key is lower-cased and should end in `-bin`.
  public mutating func add(_ key: String, binary: [UInt8]) {
    entries.append(Entry(key: key.lowercased(), value: .binary(binary)))
  }

  /// Replaces all entries of `key` with one text value.
  public mutating func replace(_ key: String, _ value: String) {
    removeAll(key)
    add(key, value)
  }

  /// Removes all entries of `key`.
  public mutating func removeAll(_ key: String) {
    let key = key.lowercased()
    entries.removeAll { $0.key == key }
  }

  /// Appends all entries of `other`.
  public mutating func add(contentsOf other: Metadata) {
    entries.append(contentsOf: other.entries)
  }

  /// The first text value of `key` (compared without case, without allocating).
  public subscript(key: String) -> String? {
    for entry in entries where Self.keysMatch(entry.key, key) {
      if case .text(let t) = entry.value { return t }
    }
    return nil
  }

  /// All text values of `key`, in order.
  public func values(_ key: String) -> [String] {
    let key = key.lowercased()
    return entries.compactMap {
      guard $0.key == key, case .text(let t) = $0.value else { return nil }
      return t
    }
  }

  /// Whether a stored (lower-case) key equals `key` ignoring ASCII case.
  private static func keysMatch(_ stored: String, _ key: String) -> Bool {
    var a = stored.utf8.makeIterator()
    var b = key.utf8.makeIterator()
    while true {
      switch (a.next(), b.next()) {
      case (nil, nil): return true
      case (let x?, let y?):
        let lower = (y >= 65 && y <= 90) ? y + 32 : y
        if x != lower { return false }
      default: return false
      }
    }
  }

  public var isEmpty: Bool { entries.isEmpty }
  public var count: Int { entries.count }

  public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}

extension Metadata {
  /// Converts from wire entries.
  public init(_ wire: [Ordp_Rpc_V1_MetadataEntry]) {
    self.init()
    guard !wire.isEmpty else { return }  // reserving even 0 would allocate
    entries.reserveCapacity(wire.count)
    for e in wire {
      switch e.value {
      case .binary(let b)?: entries.append(Entry(key: e.key, value: .binary(Array(b))))
      case .text(let t)?: entries.append(Entry(key: e.key, value: .text(t)))
      case nil: entries.append(Entry(key: e.key, value: .text("")))
      }
    }
  }

  /// Converts to wire entries.
  public var wireEntries: [Ordp_Rpc_V1_MetadataEntry] {
    entries.map { e in
      var w = Ordp_Rpc_V1_MetadataEntry()
      w.key = e.key
      switch e.value {
      case .text(let t): w.text = t
      case .binary(let b): w.binary = .init(b)
      }
      return w
    }
  }
}
