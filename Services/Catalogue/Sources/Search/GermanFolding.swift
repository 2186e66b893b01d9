import Foundation

/// Folds German text for matching: lower case, umlauts and ß spelled out the way people type
/// them without a German keyboard ("Straße" → "strasse", "Müll" → "muell"), other diacritics
/// removed ("Café" → "cafe"). Index and queries are folded the same way, so "Strasse" finds
/// "Straße" and "Muell" finds "Müll".
public enum GermanFolding {
  public static func fold(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    // The last letter written, for a combining diaeresis (text in NFD: "u" + U+0308 is "ü").
    var last: Unicode.Scalar = " "
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if value < 0x80 {
        // ASCII, nearly all of it: lower case without any table.
        let lower = (0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar
        result.append(lower)
        last = lower
        continue
      }
      switch value {
      case 0xE4, 0xC4: result.append(contentsOf: "ae".unicodeScalars)
      case 0xF6, 0xD6: result.append(contentsOf: "oe".unicodeScalars)
      case 0xFC, 0xDC: result.append(contentsOf: "ue".unicodeScalars)
      case 0xDF, 0x1E9E: result.append(contentsOf: "ss".unicodeScalars)
      case 0x0308 where last == "a" || last == "o" || last == "u": result.append("e")
      case 0x0300...0x036F: break  // other combining marks
      default:
        // Other letters: lower case, keep the base letter (NFD, drop combining marks).
        let decomposed = String(scalar).lowercased().decomposedStringWithCanonicalMapping
        for part in decomposed.unicodeScalars where !(0x0300...0x036F).contains(part.value) {
          result.append(part)
          last = part
        }
        continue
      }
      last = " "
    }
    return String(result)
  }

  /// The folded words of `text` (letters and digits), for FTS queries and keyword matching.
  public static func words(_ text: String) -> [String] {
    fold(text).split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
  }

  /// A URL-safe slug: folded words joined by '-', at most 80 characters.
  public static func slug(_ text: String) -> String {
    let words = self.words(text).map { word in
      String(word.unicodeScalars.filter { $0.isASCII }.map(Character.init))
    }.filter { !$0.isEmpty }
    var slug = ""
    for word in words {
      if slug.count + word.count + 1 > 80 { break }
      slug += slug.isEmpty ? word : "-" + word
    }
    return slug
  }
}
