/// The open streams of one connection, by stream id.
///
/// A connection has few streams open at a time (one, mostly, for a caller making one call
/// after the other), and every frame looks its stream up. Up to `linearLimit` streams the ids
/// sit in one small array that a lookup scans: no hashing, and little code and memory to
/// touch on a thread that wakes up for one frame. Beyond that an index by id takes over the
/// lookups. Order is not kept (removal moves the last stream into the gap). Inlinable, so that
/// other modules get it compiled for their value type.
public struct StreamTable<Value>: Sequence {
  @usableFromInline var ids: [UInt32] = []
  @usableFromInline var values: [Value] = []
  /// Positions by id, only while more than `linearLimit` streams are open.
  @usableFromInline var index: [UInt32: Int]?

  /// Up to this many streams, lookups scan the ids.
  @inlinable public static var linearLimit: Int { 32 }

  @inlinable public init() {}

  @inlinable public var count: Int { ids.count }
  @inlinable public var isEmpty: Bool { ids.isEmpty }
  /// The ids of the open streams, in no particular order.
  @inlinable public var keys: [UInt32] { ids }

  @inlinable
  func position(of id: UInt32) -> Int? {
    if let index { return index[id] }
    return ids.firstIndex(of: id)
  }

  /// The stream's value; assigning nil removes it.
  @inlinable
  public subscript(id: UInt32) -> Value? {
    get { position(of: id).map { values[$0] } }
    set {
      if let newValue {
        if let at = position(of: id) {
          values[at] = newValue
        } else {
          insert(newValue, for: id)
        }
      } else {
        removeValue(forKey: id)
      }
    }
  }

  @inlinable
  mutating func insert(_ value: Value, for id: UInt32) {
    ids.append(id)
    values.append(value)
    if index != nil {
      index![id] = ids.count - 1
    } else if ids.count > Self.linearLimit {
      index = Dictionary(uniqueKeysWithValues: zip(ids, ids.indices))
    }
  }

  /// Removes the stream and returns its value, if it was there.
  @inlinable @discardableResult
  public mutating func removeValue(forKey id: UInt32) -> Value? {
    guard let at = position(of: id) else { return nil }
    let value = values[at]
    let last = ids.count - 1
    if at != last {
      ids[at] = ids[last]
      values[at] = values[last]
      index?[ids[at]] = at
    }
    ids.removeLast()
    values.removeLast()
    if index != nil {
      index![id] = nil
      // Back to scanning well below the limit (not at it: no flapping around one size).
      if ids.count <= Self.linearLimit / 2 { index = nil }
    }
    return value
  }

  /// Forgets every stream; the storage stays for the next ones.
  @inlinable
  public mutating func removeAll() {
    ids.removeAll(keepingCapacity: true)
    values.removeAll(keepingCapacity: true)
    index = nil
  }

  @inlinable
  public func makeIterator() -> Zip2Sequence<[UInt32], [Value]>.Iterator {
    zip(ids, values).makeIterator()
  }
}

extension StreamTable: Sendable where Value: Sendable {}
