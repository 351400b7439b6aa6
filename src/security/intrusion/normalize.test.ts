import { describe, expect, it } from 'vitest';
import {
  collapseWhitespace,
  decodeHtmlEntities,
  decodeLayers,
  percentDecode,
  stripBlockComments,
  stripHtmlComments,
  stripLineComments,
} from './normalize.js';

describe('intrusion normalization', () => {
  describe('percentDecode', () => {
    it('decodes UTF-8 escapes as a browser would', () => {
      expect(percentDecode('p%C3%A3o%20de%20queijo')).toBe('pão de queijo');
    });

    it('accepts the overlong forms that old servers accepted', () => {
      expect(percentDecode('..%c0%af')).toBe('../');
      expect(percentDecode('..%c1%9c')).toBe('..\\');
      expect(percentDecode('..%e0%80%af')).toBe('../');
      expect(percentDecode('%c0%ae%c0%ae')).toBe('..');
    });

    it('decodes IIS %u escapes', () => {
      expect(percentDecode('%u003cscript%u003e')).toBe('<script>');
    });

    it('leaves malformed escapes and lone percent signs alone', () => {
      expect(percentDecode('50% off %zz %4')).toBe('50% off %zz %4');
    });

    it('takes bytes that start no sequence as Latin-1 instead of failing', () => {
      expect(percentDecode('%bf%27')).toBe("\u00bf'");
    });
  });

  describe('decodeHtmlEntities', () => {
    it('decodes decimal and hex references, with or without the semicolon', () => {
      expect(decodeHtmlEntities('&#106;&#x61;&#0000118&#x61')).toBe('java');
    });

    it('decodes common named references and the legacy ones without a semicolon', () => {
      expect(decodeHtmlEntities('&lt;a&gt; &colon; &Tab;&quot; &lt')).toBe('<a> : \t" <');
    });

    it('keeps unknown names and out-of-range numbers as typed', () => {
      expect(decodeHtmlEntities('Fish &chips; &#99999999;')).toBe('Fish &chips; &#99999999;');
    });
  });

  describe('decodeLayers', () => {
    it('peels nested encodings, folds fullwidth forms and lower-cases', () => {
      expect(decodeLayers('%2526lt%253BSCRIPT')).toBe('<script');
      expect(decodeLayers('ＳＥＬＥＣＴ＇')).toBe("select'");
      expect(decodeLayers('\\u003cimg\\x20src')).toBe('<img src');
    });

    it('keeps ordinary text unchanged apart from case', () => {
      expect(decodeLayers("Joana D'Arc, 50% off")).toBe("joana d'arc, 50% off");
    });
  });

  describe('comment and whitespace folding', () => {
    it('replaces block comments and unwraps executable ones', () => {
      expect(stripBlockComments('un/**/ion/*x*/select', '')).toBe('unionselect');
      expect(stripBlockComments('1/*!50000union*/select', ' ')).toBe('1 union  select');
    });

    it("keeps an unclosed ordinary comment so `admin'/*` still reads as one", () => {
      expect(stripBlockComments("admin'/*", ' ')).toBe("admin'/*");
    });

    it('removes line comments that a newline ends, and only those', () => {
      expect(stripLineComments('1--abc\nand#x\n1=1 -- end')).toBe('1 and 1=1 -- end');
    });

    it('removes html comments', () => {
      expect(stripHtmlComments('javas<!-- -->cript:')).toBe('javascript:');
    });

    it('folds control characters and whitespace runs into single spaces', () => {
      expect(collapseWhitespace('  a\t\u000b b\u0000c  d ')).toBe('a b c d');
    });
  });
});
