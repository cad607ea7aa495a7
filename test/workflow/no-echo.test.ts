/** A rejected property value is described, never quoted: a password pasted into a secret-name property stays out of the message. */
import { checkShapes } from '../../src/keystore/validate';
import { desiredProps } from '../fakes/world';

test('a password pasted where a secret name belongs is not echoed by the validation message', () => {
    const pasted = 'Pa$$ word with spaces and !quotes"';
    const problems = checkShapes(desiredProps({ cloudHsmAdminPasswordSecretName: pasted }));
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toContain('CloudHsmAdminPasswordSecretName (a string of 34 characters) is not valid');
    expect(problems[0].message).not.toContain(pasted);
    expect(problems[0].message).not.toContain('word with spaces');
});
