public import ORDPCatalogueAPI

/// What search needs of every dataset, in memory: filter, facet and sort fields with interned
/// values, kept at one feed position by applying the change feed in order. Text matching stays
/// in SQLite's FTS5; this answers filters, visibility, facets, totals, order and cursors over
/// the whole catalogue in milliseconds, which grouping over SQL rows cannot at 100,000
/// datasets. I/O-free.
public struct SearchIndex: Sendable {
  /// What every search reads of every dataset: plain values only (no reference counting
  /// when a search walks 100,000 of them).
  struct Hot: Sendable {
    var seq: Int64
    var modified: Int64
    /// The first 8 bytes of the folded title, big-endian: orders most titles without
    /// touching the strings.
    var titlePrefix: UInt64
    var west = 0.0
    var south = 0.0
    var east = 0.0
    var north = 0.0
    var publisher: Int32
    var license: Int32
    /// Where the dataset's theme, keyword and format ids start in `terms` (in that order).
    var termStart: Int32
    var themeCount: UInt16
    var keywordCount: UInt16
    var formatCount: UInt16
    var access: UInt8
    var withdrawn: Bool
    var hasBox: Bool
    var hasGrants: Bool
  }

  /// The rest of a dataset's entry, read for the page and rare checks.
  struct Cold: Sendable {
    var id: String
    var revision: UInt64
    var titleSort: String
    var grants: [Int32]
    var keywords: [Int32]
    /// The dataset's spelling of each of `keywords`.
    var keywordSpellings: [String]
  }

  /// Values of one field as small integers, with the text shown for them: the smallest
  /// spelling (byte order) among the current datasets — what the SQL path shows too.
  struct Interner: Sendable {
    var ids: [String: Int32] = [:]
    var display: [String] = []
    /// Per value: how many current datasets spell it which way.
    var spellings: [[String: Int]] = []

    mutating func id(_ value: String) -> Int32 {
      if let id = ids[value] { return id }
      let id = Int32(display.count)
      ids[value] = id
      display.append(value)
      spellings.append([:])
      return id
    }

    /// Counts one dataset's spelling of a value (`by` +1 on apply, -1 when replaced).
    mutating func count(_ id: Int32, spelling: String, by delta: Int) {
      let index = Int(id)
      let first = spellings[index].isEmpty
      let now = spellings[index][spelling, default: 0] + delta
      spellings[index][spelling] = now > 0 ? now : nil
      if delta > 0 {
        if first || spelling.utf8.lexicographicallyPrecedes(display[index].utf8) {
          display[index] = spelling
        }
      } else if now <= 0, display[index] == spelling {
        display[index] =
          spellings[index].keys.min { $0.utf8.lexicographicallyPrecedes($1.utf8) } ?? display[index]
      }
    }

    func lookup(_ value: String) -> Int32? { ids[value] }
    var count: Int { display.count }
  }

  /// The feed position the index reflects.
  public private(set) var position: UInt64 = 0
  /// One entry per dataset (hot and cold part at the same slot), in the order they first
  /// appeared; `slots` finds them by seq.
  var hot: ContiguousArray<Hot> = []
  var cold: ContiguousArray<Cold> = []
  var slots: [Int64: Int] = [:]
  /// Theme, keyword and format ids of all entries; a changed entry's old run stays unused
  /// until the pool is compacted.
  var terms: [Int32] = []
  var unusedTerms = 0
  var towns = Interner()
  var licenses = Interner()
  var themes = Interner()
  var keywords = Interner()
  var formats = Interner()

  public init() {}

  public var count: Int { hot.count }

  /// Applies one committed change: the dataset's state at that position.
  public mutating func apply(position: UInt64, seq: Int64, dataset: Ordp_Catalogue_V1_Dataset) {
    precondition(position > self.position, "changes apply in feed order")
    self.position = position
    let slot = slots[seq]
    if let slot {
      let previous = cold[slot]
      for (id, spelling) in zip(previous.keywords, previous.keywordSpellings) {
        keywords.count(id, spelling: spelling, by: -1)
      }
      unusedTerms +=
        Int(hot[slot].themeCount) + Int(hot[slot].keywordCount)
        + Int(hot[slot].formatCount)
    }
    let themeIDs = Array(Set(dataset.themes.map { themes.id($0) })).sorted()
    var keywordIDs: [Int32] = []
    var spellings: [String] = []
    for keyword in dataset.keywords {
      let id = keywords.id(GermanFolding.fold(keyword))
      if !keywordIDs.contains(id) {
        keywordIDs.append(id)
        spellings.append(keyword)
        keywords.count(id, spelling: keyword, by: 1)
      }
    }
    var formatIDs: [Int32] = []
    for distribution in dataset.distributions where !distribution.format.isEmpty {
      let id = formats.id(distribution.format.uppercased())
      if !formatIDs.contains(id) { formatIDs.append(id) }
    }
    let title = GermanFolding.fold(dataset.title)
    var entry = Hot(
      seq: seq, modified: dataset.modifiedMicros, titlePrefix: Self.prefix(title),
      publisher: towns.id(dataset.publisher), license: licenses.id(dataset.license),
      termStart: Int32(terms.count), themeCount: UInt16(themeIDs.count),
      keywordCount: UInt16(keywordIDs.count), formatCount: UInt16(formatIDs.count),
      access: UInt8(clamping: dataset.accessLevel.rawValue), withdrawn: dataset.withdrawn,
      hasBox: false, hasGrants: !dataset.grantedOrganisations.isEmpty)
    if dataset.hasSpatial && dataset.spatial.hasBbox_p {
      let box = dataset.spatial.bbox
      (entry.west, entry.south, entry.east, entry.north) = (
        box.west, box.south, box.east, box.north
      )
      entry.hasBox = true
    }
    terms += themeIDs
    terms += keywordIDs
    terms += formatIDs
    let rest = Cold(
      id: dataset.id, revision: dataset.revision, titleSort: title,
      grants: dataset.grantedOrganisations.map { towns.id($0) }, keywords: keywordIDs,
      keywordSpellings: spellings)
    if let slot {
      hot[slot] = entry
      cold[slot] = rest
    } else {
      slots[seq] = hot.count
      hot.append(entry)
      cold.append(rest)
    }
    if unusedTerms > 4096 && unusedTerms > terms.count / 2 { compactTerms() }
  }

  /// Rewrites the term pool without the runs no entry uses any more.
  mutating func compactTerms() {
    var compacted: [Int32] = []
    compacted.reserveCapacity(terms.count - unusedTerms)
    for slot in hot.indices {
      let start = Int(hot[slot].termStart)
      let count =
        Int(hot[slot].themeCount) + Int(hot[slot].keywordCount) + Int(hot[slot].formatCount)
      hot[slot].termStart = Int32(compacted.count)
      compacted += terms[start..<(start + count)]
    }
    terms = compacted
    unusedTerms = 0
  }

  /// The first 8 bytes of `text` as a big-endian number (shorter texts padded with zeros).
  static func prefix(_ text: String) -> UInt64 {
    var value: UInt64 = 0
    var count = 0
    for byte in text.utf8.prefix(8) {
      value = value << 8 | UInt64(byte)
      count += 1
    }
    return count == 0 ? 0 : value << UInt64(8 * (8 - count))
  }
}
