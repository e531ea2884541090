import { isSpace } from './is-space.js';

/**
 * Collects the words of `ProcessWords` alongside the single result string. Text that came
 * from an unquoted expansion or plain characters is split on whitespace (`add`); quoted
 * text and escaped characters are kept whole (`addRaw`). Mirrors BuildKit's `wordsStruct`,
 * including that a quoted empty string opens a word but an empty word is never emitted.
 */
export class WordSplitter {
  #word = '';
  #words: string[] = [];
  #inWord = false;

  add(text: string): void {
    for (const ch of text) {
      if (!isSpace(ch)) {
        this.#word += ch;
        this.#inWord = true;
      } else if (this.#inWord && this.#word.length > 0) {
        this.#words.push(this.#word);
        this.#word = '';
        this.#inWord = false;
      }
    }
  }

  addRaw(text: string): void {
    this.#word += text;
    this.#inWord = true;
  }

  /** The finished words; the splitter is spent afterwards. */
  finish(): string[] {
    if (this.#word.length > 0) {
      this.#words.push(this.#word);
      this.#word = '';
      this.#inWord = false;
    }
    return this.#words;
  }
}
